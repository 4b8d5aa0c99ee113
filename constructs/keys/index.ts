export * from './platform-key';
export * from './platform-keys';
