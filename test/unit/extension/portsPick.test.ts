// "HyperBox: Open Ports" and "Forward a Port...": the quick pick's entries, the actions offered
// for each port, and the check of what the user types.
import { strict as assert } from 'node:assert';
import type { PortForward } from '../../../src/protocol';
import { FORWARD_ITEM_LABEL, parsePortInput, portActions, portPickItems, validatePortInput } from '../../../src/extension/portsPick';

const WEB: PortForward = { containerPort: 3000, hostPort: 3000, source: 'forwardPorts', label: 'Web App', state: 'forwarded', by: { pid: 9, what: 'hb ports --forward' } };
const DB: PortForward = { containerPort: 5432, hostPort: 5432, service: 'db', source: 'forwardPorts', state: 'not-forwarded' };
const APP: PortForward = { containerPort: 80, hostPort: 8080, source: 'appPort', state: 'published' };

describe('the ports quick pick', () => {
  it('lists each port with its label, address and who forwards it, then "Forward a Port..."', () => {
    const items = portPickItems([WEB, DB, APP], true);
    assert.deepEqual(
      items.map((i) => [i.label, i.description, i.detail]),
      [
        ['$(plug) Web App', '127.0.0.1:3000 → 3000', 'forwarded by hb ports --forward (pid 9)'],
        ['$(debug-disconnect) db:5432', '127.0.0.1:5432 → db:5432', 'not forwarded'],
        ['$(plug) Port 80', '127.0.0.1:8080 → 80', 'published by Docker (appPort)'],
        [FORWARD_ITEM_LABEL, undefined, 'Forward one more port of the running container to 127.0.0.1 of this machine'],
      ],
    );
    assert.equal(items[3].port, undefined);
    assert.equal(portPickItems([WEB], false).length, 1);
  });

  it('keeps a label\'s "$(...)" from being read as an icon', () => {
    assert.equal(portPickItems([{ ...WEB, label: 'costs $(money)' }], false)[0].label, '$(plug) costs \\$(money)');
  });

  it('offers Open and Copy for reachable ports, Stop only for forwards (a published port stays)', () => {
    assert.deepEqual(portActions(WEB), ['open', 'copy', 'stop']);
    assert.deepEqual(portActions(APP), ['open', 'copy']);
    assert.deepEqual(portActions(DB), ['stop']);
  });
});

describe('"Forward a Port..." input', () => {
  const plain = { compose: false, ports: [WEB] };
  it('accepts a port from 1 to 65535', () => {
    assert.equal(validatePortInput('8000', plain), undefined);
    assert.equal(validatePortInput(' 1 ', plain), undefined);
    assert.equal(validatePortInput('65535', plain), undefined);
    assert.equal(parsePortInput(' 8000 '), 8000);
  });

  it('says what is wrong with anything else', () => {
    assert.match(validatePortInput('', plain)!, /Type the port/);
    assert.match(validatePortInput('0', plain)!, /0 is out of range: a port is a number from 1 to 65535/);
    assert.match(validatePortInput('65536', plain)!, /out of range/);
    assert.match(validatePortInput('0000080', plain)!, /out of range/);
    assert.match(validatePortInput('http://localhost:3000', plain)!, /is not a port: type a number from 1 to 65535/);
    assert.match(validatePortInput('30.5', plain)!, /is not a port/);
  });

  it('takes service:port only for a Compose config', () => {
    assert.match(validatePortInput('db:5432', plain)!, /only a Docker Compose config has: type the port alone, e.g. 5432/);
    assert.equal(validatePortInput('db:5432', { compose: true, ports: [] }), undefined);
    assert.equal(parsePortInput('db:5432'), 'db:5432');
    assert.match(validatePortInput('db:', { compose: true, ports: [] })!, /service:port for another service/);
  });

  it('says where a port that is already reachable is', () => {
    assert.match(validatePortInput('3000', plain)!, /Port 3000 is already reachable at 127\.0\.0\.1:3000/);
    // a port nothing forwards yet can be forwarded again
    assert.equal(validatePortInput('db:5432', { compose: true, ports: [DB] }), undefined);
  });
});
