export * from './encrypted-bucket';
export * from './access-logs-bucket';
