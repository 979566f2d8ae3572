// Deployments kept from one audit to the next, so an edit re-evaluates only the deployments that
// depend on what it changed. Building one deployment is recorded: what it asked of the audit's
// context (file texts, which paths exist, findNearby's answers, the per-audit cache) and what it
// changed there (problems, claimed files, cache entries, PostgreSQL services). The next audit reuses
// the deployment when its inputs are the same objects and every answer recorded is still the
// answer, replaying the changes in their order; otherwise it builds it again. So a reused
// deployment is the one a fresh build would give, whatever the edit (test/unit/session.test.ts).
// What the model reads for a kept deployment afterwards (its connection pools) is kept with it the same way.
// A deployment that an edit above it only moved is moved in place, not built again (model/placement.ts).
import type { Span } from "../types.ts";
import type { Context } from "./build.ts";
import { canPlace, type Placement, type PlacementRoot, place, placementOf } from "./placement.ts";
import type { Deployment } from "./types.ts";

interface Recording {
  reads: Map<string, string | undefined>;
  exists: Map<string, boolean>;
  /** Folders it asked about (supervisord's `directory=`), and whether each held files. */
  folders: Map<string, boolean>;
  nearby: Array<{ dir: string; name: string; found: string | undefined }>;
  /** Per-audit cache entries it looked at before setting them itself: the value seen, or ABSENT. */
  cacheSeen: Map<string, unknown>;
  /** Its changes to the context, in order. */
  effects: Array<(ctx: Context) => void>;
  /** What those changes hand the context (problems, cache values, PostgreSQL services): they move with the deployment. */
  handed: unknown[];
  /** Parses kept between audits that it used and that move with their file (build.ts commandLine). */
  movingParses: PlacementRoot[];
  /** Whether it used a parse kept by its place: moving the parse's words would leave them under the wrong key. */
  usedPlacedParse: boolean;
}

/**
 * A recording as kept: each map's keys and values in two arrays, in the order asked, so that checking
 * it on every audit walks them by index (iterating a Map makes an entry array per step, per deployment).
 */
interface Answers {
  readPaths: string[];
  readTexts: Array<string | undefined>;
  existsPaths: string[];
  existsAnswers: boolean[];
  folders: string[];
  folderHeld: boolean[];
  nearby: Recording["nearby"];
  cacheKeys: string[];
  cacheSeen: unknown[];
  effects: Recording["effects"];
}

function answersOf(recording: Recording): Answers {
  return {
    readPaths: [...recording.reads.keys()],
    readTexts: [...recording.reads.values()],
    existsPaths: [...recording.exists.keys()],
    existsAnswers: [...recording.exists.values()],
    folders: [...recording.folders.keys()],
    folderHeld: [...recording.folders.values()],
    nearby: recording.nearby,
    cacheKeys: [...recording.cacheSeen.keys()],
    cacheSeen: [...recording.cacheSeen.values()],
    effects: recording.effects,
  };
}

/** A deployment kept from an earlier audit (ctx.copiedFrom maps each copy handed out to it). */
export interface KeptDeployment {
  inputs: readonly unknown[];
  recording: Answers;
  /** As built, before later stages of the model (pools, configured facts) add to it; undefined when its files describe none. */
  deployment: Deployment | undefined;
  /** Its spans in the files of its anchors, to move it in place when an edit above it moves it. */
  placement: Placement;
}

/** What a deployment is built from and where it is: a compose service (its name's span places it in its file). */
export interface Anchor {
  file: string;
  nameSpan: Span;
}

const ABSENT = Symbol("absent");

function newRecording(): Recording {
  return { reads: new Map(), exists: new Map(), folders: new Map(), nearby: [], cacheSeen: new Map(), effects: [], handed: [], movingParses: [], usedPlacedParse: false };
}

function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** build.ts's findNearby, passed in rather than imported (build.ts imports this module). */
type NearbyLookup = (ctx: Context, dir: string, name: string) => string | undefined;

/**
 * The deployment `build` makes (or its undefined: no deployment), reused from an earlier audit (kept in the caller's
 * parse memo) while `inputs` are the same objects and the context answers as it did, and moved in place when an
 * edit moved its anchors (and nothing it holds lies in the edit). Without a memo kept
 * between audits (the CLI) it is built each time, and nothing is recorded.
 */
export function reusedDeployment<D extends Deployment | undefined>(ctx: Context, key: string, inputs: readonly unknown[], anchors: readonly Anchor[], build: (ctx: Context) => D, findNearby: NearbyLookup): D {
  if (!ctx.parses.keepsBetweenAudits) return build(ctx);
  let fresh: { built: D } | undefined;
  const read = (file: string) => ctx.host.read(file);
  const kept = ctx.parses.keep(
    key,
    (): KeptDeployment => {
      const recording = newRecording();
      fresh = { built: build(recordingContext(ctx, recording)) };
      const deployment = fresh.built && copy(fresh.built);
      const files: string[] = [];
      const roots: PlacementRoot[] = [{ value: deployment }, { value: recording.handed }, ...recording.movingParses];
      for (const anchor of anchors) {
        if (!files.includes(anchor.file)) files.push(anchor.file);
        roots.push({ value: anchor.nameSpan, file: anchor.file });
      }
      const placement = placementOf(roots, files, files.map(read), recording.usedPlacedParse);
      return { inputs, recording: answersOf(recording), deployment, placement };
    },
    (entry) => sameInputs(entry.inputs, inputs) && stillHolds(ctx, entry.recording, findNearby) && canPlace(ctx.textChanges, read, entry.placement),
  );
  if (fresh) {
    if (fresh.built) ctx.copiedFrom.set(fresh.built, kept);
    return fresh.built;
  }
  place(ctx.textChanges, read, kept.placement);
  for (const effect of kept.recording.effects) effect(ctx);
  if (!kept.deployment) return undefined as D;
  const deployment = copy(kept.deployment);
  ctx.copiedFrom.set(deployment, kept);
  return deployment as D;
}

interface KeptReading<T> {
  inputs: readonly unknown[];
  recording: Answers;
  value: T;
  /** The files and links `read` added to the deployment, in order. */
  files: string[];
  links: Deployment["links"];
  /** Its spans in the files its deployment is placed in: they move with it. */
  placement: Placement;
}

/**
 * What `read` returns for a deployment reusedDeployment returned (build.ts: its connection pools), reused
 * while that deployment is the same kept one, `inputs` are the same objects and the context answers as it
 * did; the files and links `read` added to the deployment are added again. Any other deployment is read.
 */
export function reusedReading<T>(ctx: Context, key: string, deployment: Deployment, inputs: readonly unknown[], read: (ctx: Context) => T, findNearby: NearbyLookup): T {
  const source = ctx.copiedFrom.get(deployment);
  if (!source) return read(ctx);
  const allInputs = [source, ...inputs];
  const readFile = (file: string) => ctx.host.read(file);
  let fresh: { value: T } | undefined;
  const kept = ctx.parses.keep(
    key,
    (): KeptReading<T> => {
      const recording = newRecording();
      const filesBefore = deployment.files.size;
      const linksBefore = deployment.links.length;
      fresh = { value: read(recordingContext(ctx, recording)) };
      const links = deployment.links.slice(linksBefore);
      const { files } = source.placement;
      const placement = placementOf([{ value: fresh.value }, { value: links }, { value: recording.handed }, ...recording.movingParses], files, files.map(readFile), recording.usedPlacedParse);
      return { inputs: allInputs, recording: answersOf(recording), value: fresh.value, files: [...deployment.files].slice(filesBefore), links, placement };
    },
    (entry) => sameInputs(entry.inputs, allInputs) && stillHolds(ctx, entry.recording, findNearby) && canPlace(ctx.textChanges, readFile, entry.placement),
  );
  if (fresh) return fresh.value;
  place(ctx.textChanges, readFile, kept.placement);
  for (const effect of kept.recording.effects) effect(ctx);
  for (const file of kept.files) deployment.files.add(file);
  deployment.links.push(...kept.links);
  return kept.value;
}

/** Later stages add files and links to a deployment and set fields on it; its other parts are only read. */
function copy(deployment: Deployment): Deployment {
  return { ...deployment, files: new Set(deployment.files), links: [...deployment.links] };
}

/**
 * Reads are checked last, in the order the build made them: while every other answer holds, they are the
 * reads a fresh build would make, so the audit notes the same paths as missing either way (audit.ts).
 */
function stillHolds(ctx: Context, answers: Answers, findNearby: NearbyLookup): boolean {
  for (let i = 0; i < answers.existsPaths.length; i++) if (ctx.pathSet.has(answers.existsPaths[i]) !== answers.existsAnswers[i]) return false;
  for (let i = 0; i < answers.folders.length; i++) if (ctx.folders.has(answers.folders[i]) !== answers.folderHeld[i]) return false;
  for (let i = 0; i < answers.cacheKeys.length; i++) {
    const key = answers.cacheKeys[i];
    if ((ctx.cache.has(key) ? ctx.cache.get(key) : ABSENT) !== answers.cacheSeen[i]) return false;
  }
  for (const { dir, name, found } of answers.nearby) if (findNearby(ctx, dir, name) !== found) return false;
  for (let i = 0; i < answers.readPaths.length; i++) if (ctx.host.read(answers.readPaths[i]) !== answers.readTexts[i]) return false;
  return true;
}

/** The context seen by one deployment's build: answers and changes go to `ctx` and are recorded. */
function recordingContext(ctx: Context, recording: Recording): Context {
  const setHere = new Set<string>();
  const sawCache = (key: string) => {
    if (!setHere.has(key) && !recording.cacheSeen.has(key)) recording.cacheSeen.set(key, ctx.cache.has(key) ? ctx.cache.get(key) : ABSENT);
  };
  return {
    ...ctx,
    host: {
      list: () => ctx.host.list(),
      read: (path) => {
        const text = ctx.host.read(path);
        if (!recording.reads.has(path)) recording.reads.set(path, text);
        return text;
      },
    },
    pathSet: {
      has: (path) => {
        const exists = ctx.pathSet.has(path);
        recording.exists.set(path, exists);
        return exists;
      },
    },
    folders: {
      has: (folder) => {
        const held = ctx.folders.has(folder);
        recording.folders.set(folder, held);
        return held;
      },
    },
    cache: {
      has: (key) => {
        sawCache(key);
        return ctx.cache.has(key);
      },
      get: (key) => {
        sawCache(key);
        return ctx.cache.get(key);
      },
      set: (key, value) => {
        setHere.add(key);
        recording.effects.push((c) => c.cache.set(key, value));
        recording.handed.push(value);
        ctx.cache.set(key, value);
      },
    },
    problems: {
      push: (...problems) => {
        recording.effects.push((c) => c.problems.push(...problems));
        recording.handed.push(problems);
        return ctx.problems.push(...problems);
      },
    },
    claimed: {
      add: (path) => {
        recording.effects.push((c) => c.claimed.add(path));
        ctx.claimed.add(path);
      },
    },
    postgres: {
      push: (...services) => {
        recording.effects.push((c) => c.postgres.push(...services));
        recording.handed.push(services);
        return ctx.postgres.push(...services);
      },
    },
    onNearby: (dir, name, found) => recording.nearby.push({ dir, name, found }),
    onKeptParse: (parse) => {
      if (parse) recording.movingParses.push({ value: parse, file: parse.at.file });
      else recording.usedPlacedParse = true;
    },
  };
}
