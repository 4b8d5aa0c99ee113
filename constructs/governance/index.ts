export * from './guard-hook';
