'use strict';
// Starts both services with the harness every client test suite shares
// (clients/testing/services.py), and stops them when asked or when this process exits.

const { spawn, execFile } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const HARNESS = path.resolve(__dirname, '..', '..', 'testing', 'services.py');
const PYTHON = process.env.DEEPEVEREST_PYTHON || '/usr/bin/python3';

/** Resolves to the harness's description of the running services, plus stop(). */
function startServices() {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [HARNESS], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the services harness exited with code ${code}`)));
    lines.once('line', (line) => {
      const services = JSON.parse(line);
      services.stop = () => new Promise((done) => {
        child.removeAllListeners('exit');
        child.on('exit', () => done());
        child.stdin.end();
      });
      resolve(services);
    });
  });
}

/** Runs `deepeverest --json ...` and resolves to its JSON lines. */
function runCli(services, ...args) {
  const [command, ...rest] = services.cli;
  return new Promise((resolve, reject) => {
    execFile(command, [...rest, '--json', ...args], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`deepeverest ${args.join(' ')} failed: ${stderr}`));
        return;
      }
      resolve(stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)));
    });
  });
}

/** The value of a Prometheus gauge/counter (summed over its series) at an HTTP /metrics endpoint. */
async function metric(baseUrl, name) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = null;
  for (const line of text.split('\n')) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/);
    if (match && match[1] === name) {
      sum = (sum || 0) + Number(match[3]);
    }
  }
  return sum;
}

module.exports = { startServices, runCli, metric };
