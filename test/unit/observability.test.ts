/**
 * Metrics' messages go through the shared logger: the notice of a call that recorded no metric
 * (most calls) is debug, not a warning on every request; its other warnings stay warnings.
 */
import { logger, metrics, NO_METRICS_NOTICE } from '../../functions/commons/observability';

afterEach(() => jest.restoreAllMocks());

test('a call that recorded no metric is logged at debug, not as a warning', () => {
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const debug = jest.spyOn(logger, 'debug').mockImplementation(() => undefined);
  metrics.publishStoredMetrics();
  expect(warn).not.toHaveBeenCalled();
  expect(debug).toHaveBeenCalledWith(expect.stringContaining(NO_METRICS_NOTICE));
});

test("Metrics' other warnings are still warnings", () => {
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  metrics.addDimension('', 'value');
  expect(warn).toHaveBeenCalledWith(expect.stringContaining("doesn't meet the requirements"));
  metrics.clearDimensions();
});

test('a call that recorded a metric logs no notice', () => {
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const debug = jest.spyOn(logger, 'debug').mockImplementation(() => undefined);
  metrics.addMetric('ObservabilityTest', 'Count', 1);
  metrics.publishStoredMetrics();
  expect(warn).not.toHaveBeenCalled();
  expect(debug).not.toHaveBeenCalledWith(expect.stringContaining(NO_METRICS_NOTICE));
});
