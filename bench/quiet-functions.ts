/**
 * Imported first by the benches: the functions they run in-process build their logger and metrics
 * when first imported, so the local server's quiet settings (errors only, no EMF) must be in the
 * environment before then, or every request prints a warning between the figures.
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
