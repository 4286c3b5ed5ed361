// Functions log structured JSON at INFO; in tests that is noise unless asked for (POWERTOOLS_LOG_LEVEL=DEBUG).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
