// Every area's public surface; each is also a subpath of the package (`@ztai/cdk-constructs/network`…).
// The signing core is a subpath only (`@ztai/cdk-constructs/signing`): it is not a construct.
export * from './network';
export * from './keys';
export * from './storage';
export * from './identity';
export * from './audit';
export * from './inference';
export * from './api';
export * from './integrity';
export * from './governance';
export * from './genai';
export * from './private/validation';
