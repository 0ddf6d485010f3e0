// The console's pure functions, without a browser (node's test runner): the quarantine's error
// locations, the registry status's Parameters, the resource type of pasted text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isErrorField, parseLocation } from '../../console/src/pages/quarantine.js';
import { dryRunOf, partsOf } from '../../console/src/pages/registries.js';
import { parseMetrics } from '../../console/src/pages/overview.js';
import { resourceTypeOf } from '../../console/src/pages/validate.js';

test('an ERR-2 style location names segment, repetition, field and component', () => {
  assert.deepEqual(parseLocation('OBX[2]-5.1'), { segment: 'OBX', repeat: 2, field: 5, component: 1 });
  assert.deepEqual(parseLocation('PID-3'), { segment: 'PID', repeat: 1, field: 3, component: null });
  assert.deepEqual(parseLocation('MSH'), { segment: 'MSH', repeat: 1, field: null, component: null });
  assert.equal(parseLocation(''), null);
  assert.equal(parseLocation('obx-5'), null);
  assert.equal(parseLocation(undefined), null);
});

test('the error field is the one of the location\'s segment, occurrence and field', () => {
  const loc = parseLocation('OBX[2]-5.1');
  assert.equal(isErrorField({ id: 'OBX', occurrence: 2 }, { n: 5 }, loc), true);
  assert.equal(isErrorField({ id: 'OBX', occurrence: 1 }, { n: 5 }, loc), false);
  assert.equal(isErrorField({ id: 'OBX', occurrence: 2 }, { n: 6 }, loc), false);
  assert.equal(isErrorField({ id: 'OBR', occurrence: 2 }, { n: 5 }, loc), false);
  assert.equal(isErrorField({ id: 'OBX', occurrence: 2 }, { n: 5 }, null), false);
});

test('Parameters parts become an object; repeated names an array', () => {
  const t = partsOf({ name: 'target', part: [
    { name: 'name', valueString: 'hub' }, { name: 'pending', valueInteger: 2 },
    { name: 'lastRun', part: [{ name: 'outcome', valueCode: 'ok' }] },
    { name: 'failure', part: [{ name: 'reason', valueString: 'a' }] },
    { name: 'failure', part: [{ name: 'reason', valueString: 'b' }] }] });
  assert.equal(t.name, 'hub');
  assert.equal(t.pending, 2);
  assert.equal(t.lastRun.outcome, 'ok');
  assert.deepEqual(t.failure.map((f) => f.reason), ['a', 'b']);
  assert.deepEqual(partsOf({ name: 'x' }), {});
});

test('the resource type of pasted JSON or XML', () => {
  assert.equal(resourceTypeOf('{\n "resourceType" : "Observation"}'), 'Observation');
  assert.equal(resourceTypeOf('<?xml version="1.0"?>\n<Patient xmlns="http://hl7.org/fhir">'), 'Patient');
  assert.equal(resourceTypeOf('  <Bundle>'), 'Bundle');
  assert.equal(resourceTypeOf('{"id": "x"}'), '');
  assert.equal(resourceTypeOf(''), '');
});

test('the Prometheus text: series by name and labels, families summed', () => {
  const m = parseMetrics('# HELP x y\n# TYPE a counter\na_total 3\nacks{code="AA"} 2\nacks{code="AE"} 1\ng{} 5\nbad line\nh NaNx\n');
  assert.equal(m.get('a_total'), 3);
  assert.equal(m.get('acks{code="AA"}'), 2);
  assert.equal(m.get('acks'), 3);
  assert.equal(m.get('g'), 5);
  assert.equal(m.has('bad'), false);
  assert.equal(parseMetrics('').size, 0);
});

test('a dry run\'s Parameters: its changes with their fields', () => {
  const run = dryRunOf({ resourceType: 'Parameters', parameter: [
    { name: 'target', valueString: 'files' }, { name: 'outcome', valueCode: 'ok' }, { name: 'rows', valueInteger: 2 },
    { name: 'change', part: [{ name: 'resource', valueString: 'ResearchStudy/a' }, { name: 'action', valueCode: 'update' },
      { name: 'field', part: [{ name: 'path', valueString: 'p.q' }, { name: 'before', valueString: '"x"' }, { name: 'after', valueString: '"y"' }] },
      { name: 'field', part: [{ name: 'path', valueString: 'p.r' }, { name: 'after', valueString: '1' }] }] },
    { name: 'change', part: [{ name: 'resource', valueString: 'ResearchStudy/b' }, { name: 'action', valueCode: 'none' }] }] });
  assert.equal(run.outcome, 'ok');
  assert.equal(run.rows, 2);
  assert.equal(run.changes.length, 2);
  assert.deepEqual(run.changes[0].fields.map((f) => [f.path, f.before, f.after]), [['p.q', '"x"', '"y"'], ['p.r', undefined, '1']]);
  assert.deepEqual(run.changes[1].fields, []);
  assert.deepEqual(dryRunOf({ parameter: [{ name: 'rows', valueInteger: 0 }] }).changes, []);
});
