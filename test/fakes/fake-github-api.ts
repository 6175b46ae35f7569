// A fake GitHub REST API (issue comments on pull requests) on loopback, reached through Octokit's
// `baseUrl`. It checks what GitHub checks — `authorization: token|bearer <token>`, an Accept of
// GitHub's JSON, a user agent, method, path and JSON body — and answers with GitHub's shapes.
import { z } from "zod";
import { startFakeHttp, type FakeHttpServer, type FakeRequest, type FakeResponse } from "./fake-http.js";

export interface FakeGitHubComment {
  id: number;
  owner: string;
  repo: string;
  issue: number;
  body: string;
  updates: number;
}

export interface FakeGitHub extends FakeHttpServer {
  comments(): FakeGitHubComment[];
  /** Remove a comment, as a person on GitHub could. */
  deleteComment(id: number): void;
}

const Body = z.strictObject({ body: z.string().min(1).max(65_536) });
const CREATE = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/;
const UPDATE = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/;

export async function startFakeGitHub(options: { token: string; repositories: string[] }): Promise<FakeGitHub> {
  const comments = new Map<number, FakeGitHubComment>();
  let nextId = 1_000_001;
  const notFound = { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
  const view = (c: FakeGitHubComment) => ({ id: c.id, body: c.body, html_url: `https://github.test/${c.owner}/${c.repo}/pull/${c.issue}#issuecomment-${c.id}`, user: { login: "opsdeck-bot" } });

  function handle(req: FakeRequest, problem: (text: string) => void): FakeResponse {
    const auth = req.headers.authorization ?? "";
    if (auth !== `token ${options.token}` && auth !== `bearer ${options.token}`) {
      return { status: 401, body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" } };
    }
    if (!String(req.headers.accept ?? "").includes("application/vnd.github")) problem(`accept header ${String(req.headers.accept)} is not GitHub's`);
    if (!req.headers["user-agent"]) problem("no user-agent (GitHub refuses requests without one)");
    const create = req.method === "POST" ? CREATE.exec(req.path) : null;
    const update = req.method === "PATCH" ? UPDATE.exec(req.path) : null;
    const match = create ?? update;
    if (!match) {
      problem("no such route in the fake");
      return notFound;
    }
    const [, owner = "", repo = ""] = match;
    if (!options.repositories.includes(`${owner}/${repo}`)) return notFound;
    const parsed = Body.safeParse(req.body);
    if (!parsed.success) {
      problem(`body ${JSON.stringify(req.body)} is not { body }`);
      return { status: 422, body: { message: "Validation Failed" } };
    }
    if (create) {
      const c: FakeGitHubComment = { id: nextId++, owner, repo, issue: Number(match[3]), body: parsed.data.body, updates: 0 };
      comments.set(c.id, c);
      return { status: 201, body: view(c) };
    }
    const existing = comments.get(Number(match[3]));
    if (!existing || existing.owner !== owner || existing.repo !== repo) return notFound;
    existing.body = parsed.data.body;
    existing.updates += 1;
    return { status: 200, body: view(existing) };
  }

  const server = await startFakeHttp("fake GitHub", handle, (status) => ({ message: `scripted ${status}` }));
  return Object.assign(server, {
    comments: () => [...comments.values()].map((c) => ({ ...c })),
    deleteComment: (id: number) => void comments.delete(id),
  });
}
