// For providers that take one item per call (Azure Content Safety, Llama Guard over chat): call
// them for every item with a bounded number of calls in flight, so a 64-input job neither waits
// 64 round trips nor trips the host's rate limit. The first failure fails the whole job, and no
// new call starts after it.

export async function fanOut<T, R>(items: readonly T[], limit: number, call: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  async function worker(): Promise<void> {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await call(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
