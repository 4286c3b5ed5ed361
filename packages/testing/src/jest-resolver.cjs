// @middy/* packages are ESM-only: their `exports` hold only an `import` condition, which Jest's CommonJS
// resolver does not try. Add that condition for them alone; a global `customExportConditions: ['import']`
// would send Jest's own dependencies to their ESM builds and break it.
module.exports = (request, options) => {
  if (request.startsWith('@middy/')) {
    return options.defaultResolver(request, {
      ...options,
      conditions: [...(options.conditions ?? []), 'import'],
    });
  }
  return options.defaultResolver(request, options);
};
