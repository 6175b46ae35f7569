// A fake GitLab REST API v4 (merge request notes) on loopback. It checks what GitLab checks —
// `PRIVATE-TOKEN`, the URL-encoded project path, method, JSON body — and answers with GitLab's shapes.
import { z } from "zod";
import { startFakeHttp, type FakeHttpServer, type FakeRequest, type FakeResponse } from "./fake-http.js";

export interface FakeGitLabNote {
  id: number;
  project: string;
  mr: number;
  body: string;
  updates: number;
}

export interface FakeGitLab extends FakeHttpServer {
  /** Base URL for `githost.gitlab.api_url` (…/api/v4). */
  apiUrl: string;
  notes(): FakeGitLabNote[];
}

const Body = z.strictObject({ body: z.string().min(1).max(1_000_000) });
const NOTES = /^\/api\/v4\/projects\/([^/]+)\/merge_requests\/(\d+)\/notes(?:\/(\d+))?$/;

export async function startFakeGitLab(options: { token: string; projects: string[] }): Promise<FakeGitLab> {
  const notes = new Map<number, FakeGitLabNote>();
  let nextId = 501;
  const view = (n: FakeGitLabNote) => ({ id: n.id, body: n.body, noteable_type: "MergeRequest", noteable_iid: n.mr, author: { username: "opsdeck-bot" } });

  function handle(req: FakeRequest, problem: (text: string) => void): FakeResponse {
    if (req.headers["private-token"] !== options.token) return { status: 401, body: { message: "401 Unauthorized" } };
    // The raw path must carry the project URL-encoded (acme%2Fshop), as GitLab requires.
    const match = NOTES.exec(req.path);
    if (!match) {
      problem("no such route in the fake");
      return { status: 404, body: { error: "404 Not Found" } };
    }
    const project = match[1] ?? "";
    if (!project.includes("%2F")) problem(`project id ${project} is not URL-encoded`);
    const path = decodeURIComponent(project);
    if (!options.projects.includes(path)) return { status: 404, body: { message: "404 Project Not Found" } };
    const parsed = Body.safeParse(req.body);
    if (!parsed.success) {
      problem(`body ${JSON.stringify(req.body)} is not { body }`);
      return { status: 400, body: { message: "400 Bad request" } };
    }
    const mr = Number(match[2]);
    if (req.method === "POST" && !match[3]) {
      const n: FakeGitLabNote = { id: nextId++, project: path, mr, body: parsed.data.body, updates: 0 };
      notes.set(n.id, n);
      return { status: 201, body: view(n) };
    }
    if (req.method === "PUT" && match[3]) {
      const n = notes.get(Number(match[3]));
      if (!n || n.project !== path || n.mr !== mr) return { status: 404, body: { message: "404 Not found" } };
      n.body = parsed.data.body;
      n.updates += 1;
      return { status: 200, body: view(n) };
    }
    problem(`method ${req.method} not expected here`);
    return { status: 405, body: { message: "405 Method Not Allowed" } };
  }

  const server = await startFakeHttp("fake GitLab", handle, (status) => ({ message: `scripted ${status}` }));
  return Object.assign(server, { apiUrl: `${server.url}/api/v4`, notes: () => [...notes.values()].map((n) => ({ ...n })) });
}
