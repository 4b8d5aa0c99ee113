export * from './audit-trail';
export * from './security-alarms';
export * from './operational-monitoring';
export * from './threat-detection';
