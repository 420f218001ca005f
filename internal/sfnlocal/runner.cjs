'use strict';
// Runs Amazon States Language definitions with aws-local-stepfunctions,
// every Task answered by the mocks of its scenario. Request on stdin, one
// JSON document: {"machines": {id: definition}, "scenarios": [...]};
// response on stdout: {"results": [...]} in the order of the scenarios.
// argv[2] is the path of the library's CommonJS build.
const fs = require('fs');
const { StateMachine } = require(process.argv[2]);

const request = JSON.parse(fs.readFileSync(0, 'utf8'));

// walk calls f for every state, those of Map item processors and Parallel
// branches included.
function walk(states, f) {
  for (const [name, state] of Object.entries(states)) {
    f(name, state);
    if (state.Type === 'Map') walk((state.ItemProcessor || state.Iterator).States, f);
    if (state.Type === 'Parallel') state.Branches.forEach((b) => walk(b.States, f));
  }
}

function mockError(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

// One StateMachine per definition (the library validates a definition when
// it is constructed; runs are independent of each other).
const machines = {};
function machineFor(id) {
  if (!machines[id]) {
    const definition = JSON.parse(request.machines[id]);
    machines[id] = { definition, machine: new StateMachine(definition, { validationOptions: { checkArn: false } }) };
  }
  return machines[id];
}

async function run(scenario) {
  const definition = JSON.parse(request.machines[scenario.machine]);
  const mocks = scenario.mocks || {};
  const handlers = {};
  const waits = {};
  const retries = {};
  const calls = [];
  const answered = {};
  walk(definition.States, (name, state) => {
    if (state.Type === 'Wait') waits[name] = 0;
    if (state.Retry) retries[name] = 0;
    if (state.Type !== 'Task') return;
    handlers[name] = async (input) => {
      const call = { state: name, input };
      calls.push(call);
      const answers = mocks[name];
      if (!answers || answers.length === 0) {
        throw mockError('Mock.Missing', `no mock answers task state ${name}`);
      }
      const i = answered[name] = (answered[name] ?? -1) + 1;
      const answer = answers[Math.min(i, answers.length - 1)];
      if (answer.error) {
        call.failed = true;
        throw mockError(answer.error, answer.cause ?? '');
      }
      return answer.result ?? null;
    };
  });
  const result = { name: scenario.name, states: [], calls };
  let execution;
  try {
    const { machine } = machineFor(scenario.machine);
    execution = machine.run(scenario.input ?? {}, {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
      context: scenario.context,
    });
  } catch (e) {
    return { ...result, status: 'INVALID', error: e.name, cause: String(e.message) };
  }
  const logged = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') result.states.push(event.state.name);
      if (event.type === 'StateRetried') result.retries = (result.retries ?? 0) + 1;
    }
  })();
  try {
    result.output = await execution.result;
    result.status = 'SUCCEEDED';
  } catch (e) {
    const cause = e.cause ?? e;
    result.status = e.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : e.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
    result.error = cause.name;
    result.cause = typeof cause.message === 'string' ? cause.message : JSON.stringify(cause.message);
  }
  await logged;
  return result;
}

(async () => {
  const results = await Promise.all(request.scenarios.map(run));
  process.stdout.write(JSON.stringify({ results }));
})().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
