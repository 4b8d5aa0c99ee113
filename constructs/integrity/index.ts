export * from './model-admission-gate';
export * from './model-signer-role';
export * from './model-signing-key';
