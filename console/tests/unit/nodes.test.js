import assert from 'node:assert/strict';
import { test } from 'node:test';

import { heartbeatAge, nodeBadge, nodeState, nodesSummary } from '../../src/nodes_logic.js';

test('a node is alive, stopped or dead as GET /v1/nodes says', () => {
  assert.equal(nodeState({ alive: true, stopped_at: null }), 'Alive');
  assert.equal(nodeState({ alive: false, stopped_at: '2026-12-03T10:00:00Z' }), 'Stopped');
  assert.equal(nodeState({ alive: false, stopped_at: null }), 'Dead');
  assert.equal(nodeBadge({ alive: false, stopped_at: null }), 'badge badge--bad');
  assert.equal(nodeBadge({ alive: true, stopped_at: null }), 'badge badge--ok');
});

test('heartbeat ages in words', () => {
  assert.equal(heartbeatAge(800), '0.8 s ago');
  assert.equal(heartbeatAge(12_400), '12 s ago');
  assert.equal(heartbeatAge(180_000), '3 min ago');
  assert.equal(heartbeatAge(3 * 3600_000), '3 h ago');
  assert.equal(heartbeatAge(-5), '0.0 s ago');
});

test('the summary counts the live nodes', () => {
  assert.equal(nodesSummary([{ alive: true }, { alive: false, stopped_at: 'x' }]), '1 of 2 nodes alive');
  assert.equal(nodesSummary([{ alive: true }]), '1 of 1 node alive');
});
