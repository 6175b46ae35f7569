import { createRequire } from "node:module";
import type * as Bolt from "@slack/bolt";

// `@slack/bolt`'s index loads every receiver it ships (Express with ~130 files, AWS Lambda), the
// assistant and the OAuth installer at import; opsdeck uses App, the HTTP receiver's helpers and
// its ack (slack-front-receiver.ts takes HTTPReceiver's place) and the signature check. These are
// the compiled files the index re-exports (Bolt has no `exports` map, so they are importable; the version is pinned in package-lock.json), loaded
// through `require` so they are the same module instances the index would hand out.
const require = createRequire(import.meta.url);
const fromBolt = createRequire(require.resolve("@slack/bolt"));

export const App = (require("@slack/bolt/dist/App.js") as { default: typeof Bolt.App }).default;
/** Bolt's request parsing and response helpers, and the ack of its own HTTP receiver (slack-front-receiver.ts). */
export const HTTPModuleFunctions = require("@slack/bolt/dist/receivers/HTTPModuleFunctions.js") as typeof Bolt.HTTPModuleFunctions;
export const HTTPResponseAck = (require("@slack/bolt/dist/receivers/HTTPResponseAck.js") as { HTTPResponseAck: typeof Bolt.HTTPResponseAck }).HTTPResponseAck;
export const verifySlackRequest = (require("@slack/bolt/dist/receivers/verify-request.js") as { verifySlackRequest: typeof Bolt.verifySlackRequest }).verifySlackRequest;
/** Bolt's own copy of the Web API client (`webApi` in its index). */
export const WebClient = (fromBolt("@slack/web-api") as typeof Bolt.webApi).WebClient;
/** Bolt re-exports `LogLevel` from @slack/logger. */
export const LogLevel = (fromBolt("@slack/logger") as { LogLevel: typeof Bolt.LogLevel }).LogLevel;
/** The enum's type, under the same name as its value. */
export type LogLevel = Bolt.LogLevel;
