// Stops what the global setup started, so no java process outlives the test run.
export default async function globalTeardown() {
  const { dynamo, sqs } = globalThis.__standIns ?? {};
  await Promise.all([dynamo?.stop(), sqs?.stop()]);
}
