export * from './compose-file';
export * from './package-service';
export * from './package-services';
