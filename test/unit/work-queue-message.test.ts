/** Work messages carry any record id: only characters every SQS accepts, and the same JSON back. */
import fc from 'fast-check';
import { sqsSafeJson } from '../../functions/storage/work-queue';

const SQS_CHARACTERS = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd]*$/;

test('any JSON value becomes a message body of characters SQS accepts, which parses back to the same value', () => {
  const anyString = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constantFrom('\u0000', '\ufffe', '\uffff', '\ud800', '😀', '__proto__'));
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 3 }), fc.array(anyString, { maxLength: 5 }), (value, ids) => {
      const message = { kind: 'route', value, keys: ids.map((recordId) => ({ tableName: 'transact', recordId })) };
      const body = sqsSafeJson(message);
      expect(body).toMatch(SQS_CHARACTERS);
      expect(JSON.parse(body)).toEqual(JSON.parse(JSON.stringify(message)));
    }),
    { numRuns: 500 },
  );
});
