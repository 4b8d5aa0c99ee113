export * from './segmented-network';
export * from './platform-endpoint';
export * from './dns-firewall';
