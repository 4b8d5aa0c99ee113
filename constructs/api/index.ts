export * from './model-gateway-api';
export * from './api-client-key';
export * from './api-web-acl';
export * from './api-user-pool';
export * from './api-gateway-account-logging';
