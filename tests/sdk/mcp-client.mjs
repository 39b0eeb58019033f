// Drives callgate's /mcp with the official MCP TypeScript SDK (Client +
// StreamableHTTPClientTransport), the way an agent platform's MCP client does.
// Usage: node mcp-client.mjs <plan.json>
//   plan: {"url", "token", "headers"?: {...}, "list"?: true,
//          "calls"?: [{"name", "arguments"}], "terminate"?: true}
// Prints one JSON object on stdout:
//   {"server", "protocolVersion", "sessionId", "tools"?, "results": [callTool result or
//    {"error": {"code", "message"}}], "terminated"?}
// or {"connectError": {"code", "message"}} when connecting fails (e.g. 401, 403).
import fs from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const headers = { ...(plan.headers || {}) };
if (plan.token) headers.Authorization = `Bearer ${plan.token}`;
const transport = new StreamableHTTPClientTransport(new URL(plan.url), {
  requestInit: { headers },
});
const client = new Client({ name: 'callgate-sdk-test', version: '1.0.0' });
const out = { results: [] };

try {
  await client.connect(transport);
} catch (e) {
  console.log(JSON.stringify({ connectError: { code: e.code ?? null, message: String(e.message) } }));
  process.exit(0);
}
out.server = client.getServerVersion();
out.instructions = client.getInstructions();
out.sessionId = transport.sessionId;
out.protocolVersion = transport.protocolVersion;
if (plan.list) out.tools = (await client.listTools()).tools;
for (const call of plan.calls || []) {
  try {
    out.results.push(await client.callTool({ name: call.name, arguments: call.arguments || {} }));
  } catch (e) {
    out.results.push({ error: { code: e.code ?? null, message: String(e.message) } });
  }
}
if (plan.terminate) {
  await transport.terminateSession();
  out.terminated = transport.sessionId === undefined;
}
await client.close();
console.log(JSON.stringify(out));
