/** Awaits a promise that must reject and returns the reason (fails the test if it resolves). */
export async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    const value = await promise;
    throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
  } catch (err) {
    return err;
  }
}
