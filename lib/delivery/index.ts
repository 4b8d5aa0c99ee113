export * from './pipeline-boundary';
export * from './platform-pipeline-stack';
export * from './platform-stage';
