export * from './gpu-instance-types';
export * from './approved-model';
export * from './model-image';
export * from './model-repository';
export * from './sagemaker-endpoint';
export * from './fleet-machine-image';
export * from './autoscaling-key-access';
export * from './gpu-fleet';
