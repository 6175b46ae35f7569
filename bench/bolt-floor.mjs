// The floor for bench/state-scale.ts's burst: a stock Bolt app (its own HTTPReceiver, signature check
// and ack) whose every slash command acks and then posts one short reply with chat.postMessage
// (`say`), and nothing else — what any Bolt bot pays per command on this machine before doing any
// work of its own. state-scale runs it as the tree `bolt-floor`. Env: PORT, BENCH_API_URL,
// SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET.
import bolt from "@slack/bolt";

const { App, LogLevel } = bolt;
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  signingSecret: process.env.SLACK_SIGNING_SECRET,
  clientOptions: { slackApiUrl: process.env.BENCH_API_URL },
  logLevel: LogLevel.ERROR,
});
app.command(/.*/, async ({ ack, say }) => {
  await ack();
  await say({ text: "ok", blocks: [{ type: "section", text: { type: "mrkdwn", text: "*ok*" } }] });
});
await app.start({ port: Number(process.env.PORT), host: "127.0.0.1" });
process.on("SIGTERM", () => void app.stop().then(() => process.exit(0)));
