export * from './dashboard-build';
export * from './dashboard-site';
