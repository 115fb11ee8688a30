import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bridgeServers, describeServers, splitUrlToken, TOKEN_ENV_PREFIX, unknownServer } from '../../src/servers';

test('servers pass through as initializationOptions.servers', () => {
  const out = bridgeServers({
    gpu: { url: 'https://gpu.example.org:8888/', tokenEnv: 'GPU_JUPYTER_TOKEN', keepKernels: true, caFile: '/etc/ca.pem', verifyTls: false },
    plain: { url: 'http://127.0.0.1:8888/' },
  });
  assert.deepEqual(out.servers, {
    gpu: { url: 'https://gpu.example.org:8888/', tokenEnv: 'GPU_JUPYTER_TOKEN', keepKernels: true, caFile: '/etc/ca.pem', verifyTls: false },
    plain: { url: 'http://127.0.0.1:8888/' },
  });
  assert.deepEqual(out.env, {});
  assert.deepEqual(out.problems, []);
});

test('a token in the settings goes to the bridge in its environment, never in the options', () => {
  const out = bridgeServers({
    lab: { url: 'http://127.0.0.1:8888/', token: 's3cret' },
    pasted: { url: 'http://127.0.0.1:9999/lab?token=fromurl' },
  });
  assert.deepEqual(out.servers, {
    lab: { url: 'http://127.0.0.1:8888/', tokenEnv: `${TOKEN_ENV_PREFIX}0` },
    pasted: { url: 'http://127.0.0.1:9999/lab', tokenEnv: `${TOKEN_ENV_PREFIX}1` },
  });
  assert.deepEqual(out.env, { [`${TOKEN_ENV_PREFIX}0`]: 's3cret', [`${TOKEN_ENV_PREFIX}1`]: 'fromurl' });
  const text = JSON.stringify(out.servers) + describeServers(out);
  assert.ok(!text.includes('s3cret') && !text.includes('fromurl'), text);
});

test("the bridge's order: token, else tokenEnv, else the url's token", () => {
  const both = bridgeServers({ s: { url: 'http://h:1/?token=u', token: 't', tokenEnv: 'VAR' } });
  assert.deepEqual(both.servers.s, { url: 'http://h:1/', tokenEnv: `${TOKEN_ENV_PREFIX}0` });
  assert.deepEqual(both.env, { [`${TOKEN_ENV_PREFIX}0`]: 't' });
  const env = bridgeServers({ s: { url: 'http://h:1/?token=u', tokenEnv: 'VAR' } });
  assert.deepEqual(env.servers.s, { url: 'http://h:1/', tokenEnv: 'VAR' });
  assert.deepEqual(env.env, {});
});

test('entries without a url, and a setting that is not an object, are problems', () => {
  const out = bridgeServers({ ok: { url: 'http://h:1/' }, nourl: { token: 'x' }, str: 'http://h:2/' });
  assert.deepEqual(Object.keys(out.servers), ['ok']);
  assert.equal(out.problems.length, 2);
  assert.match(out.problems[0], /"nourl": needs a "url"/);
  assert.ok(!out.problems.join('').includes('"x"'));
  assert.match(bridgeServers(['http://h:1/']).problems[0], /must be an object/);
  assert.deepEqual(bridgeServers(undefined), { servers: {}, env: {}, problems: [] });
  assert.match(bridgeServers({ s: { url: 'http://h:1/', token: 5 } }).problems[0], /"token" must be a string/);
});

test('a server name the servers lack is named with the ones there are', () => {
  const servers = bridgeServers({ lab: { url: 'http://h:1/' }, gpu: { url: 'http://h:2/' } });
  assert.equal(unknownServer('lab', servers), undefined);
  assert.equal(unknownServer('', servers), undefined);
  assert.match(unknownServer('cluster', servers)!, /no server of that name \(it has: lab, gpu\)/);
  assert.match(unknownServer('lab', bridgeServers({}))!, /it is empty/);
  assert.equal(describeServers(servers), 'lab (http://h:1/), gpu (http://h:2/)');
});

test('splitUrlToken keeps other query parameters and leaves bad urls alone', () => {
  assert.deepEqual(splitUrlToken('http://h:1/base/?a=1&token=t'), { url: 'http://h:1/base/?a=1', token: 't' });
  assert.deepEqual(splitUrlToken('not a url'), { url: 'not a url' });
  assert.deepEqual(splitUrlToken('http://h:1/?token='), { url: 'http://h:1/', token: undefined });
});
