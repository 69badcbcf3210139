/**
 * A site's view of central data is cached per configuration, but never for more than
 * MAX_CACHED_VIEWS sites: the least recently used goes, and is built again (the same view) when
 * asked for.
 */
import { emptyConfig } from '../../functions/domain/config/model';
import { MAX_CACHED_VIEWS, siteCentralView } from '../../functions/domain/sync/central-relevance';

test('views past the cap evict the least recently used; a view in use stays the same object', () => {
  const config = emptyConfig();
  const first = siteCentralView(config, 1);
  const kept = siteCentralView(config, 2);
  for (let siteId = 3; siteId <= MAX_CACHED_VIEWS + 10; siteId++) {
    siteCentralView(config, siteId);
    // Site 2 is asked for all along, so it is never the least recently used.
    if (siteId % 100 === 0) expect(siteCentralView(config, 2)).toBe(kept);
  }
  expect(siteCentralView(config, 2)).toBe(kept);
  const rebuilt = siteCentralView(config, 1);
  expect(rebuilt).not.toBe(first);
  expect(rebuilt).toEqual(first);
});

test('another configuration has views of its own', () => {
  const a = emptyConfig();
  const b = emptyConfig();
  expect(siteCentralView(a, 1)).not.toBe(siteCentralView(b, 1));
  expect(siteCentralView(a, 1)).toBe(siteCentralView(a, 1));
});
