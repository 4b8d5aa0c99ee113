export * from './workload-principal';
export * from './workload-identity';
export * from './platform-permissions-boundary';
export * from './role-guardrails';
