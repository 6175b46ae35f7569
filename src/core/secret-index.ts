/** Length of the anchors the index is keyed on. */
const ANCHOR = 6;
/** Anchors are taken every STEP characters: any run of ANCHOR + STEP - 1 = 12 characters holds one. */
const STEP = 7;
/** A fragment of a longer known string is hidden once it is this long (ANCHOR + STEP - 1). */
export const MIN_FRAGMENT = ANCHOR + STEP - 1;
/** Filter size in bits (1 MiB): at 10,000 secrets about 3 % of text windows pass it. */
const FILTER_BITS_LOG2 = 23;
const BITS = 1 << FILTER_BITS_LOG2;

const BASE = 0x01000193;
/** BASE^(ANCHOR-1) mod 2^32, to drop the oldest character of a rolling window. */
const BASE_TOP = (() => {
  let p = 1;
  for (let j = 1; j < ANCHOR; j++) p = Math.imul(p, BASE);
  return p;
})();

/** Polynomial hash of s[at, at + ANCHOR), mod 2^32; the scan rolls the same value along the text. */
function anchorHash(s: string, at: number): number {
  let h = 0;
  for (let j = 0; j < ANCHOR; j++) h = (Math.imul(h, BASE) + s.charCodeAt(at + j)) | 0;
  return h;
}

/** Filter slot: the top bits of the hash times a golden-ratio constant. */
function slotOf(h: number): number {
  return Math.imul(h, 0x9e3779b1) >>> (32 - FILTER_BITS_LOG2);
}

/**
 * Finds, in one pass over a text, every stretch that is a whole known string or a fragment of
 * at least `MIN_FRAGMENT` characters of one (a truncated or cut-off token is still a leak).
 *
 * Each known string is indexed by the 6-character anchors at offsets 0, 7, 14…; any 12-character
 * stretch of it contains one of them. The scan hashes every 6-character window of the text, a
 * bit filter skips almost all of them, and a hit is checked character by character and
 * extended both ways. Adding or removing a string costs O(its length); a scan costs O(text)
 * plus the length of what it finds, however many strings are known. Strings shorter than
 * `ANCHOR` are ignored (the redactor never registers them). Removing leaves the filter's bits
 * set (a stale bit only costs a map look-up); the filter is rebuilt once stale anchors outnumber
 * live ones.
 */
export class SecretIndex {
  readonly #forms: Array<string | undefined> = [];
  readonly #ids = new Map<string, number>();
  readonly #free: number[] = [];
  /** Anchor hash → flat [formId, offset, formId, offset, …]. */
  readonly #postings = new Map<number, number[]>();
  readonly #filter = new Uint32Array(BITS >>> 5);
  #liveAnchors = 0;
  #staleAnchors = 0;

  get size(): number {
    return this.#ids.size;
  }

  has(form: string): boolean {
    return this.#ids.has(form);
  }

  add(form: string): void {
    if (form.length < ANCHOR || this.#ids.has(form)) return;
    const id = this.#free.pop() ?? this.#forms.length;
    this.#forms[id] = form;
    this.#ids.set(form, id);
    for (let o = 0; o + ANCHOR <= form.length; o += STEP) {
      const h = anchorHash(form, o);
      const list = this.#postings.get(h);
      if (list) list.push(id, o);
      else this.#postings.set(h, [id, o]);
      this.#setBit(h);
      this.#liveAnchors++;
    }
  }

  remove(form: string): void {
    const id = this.#ids.get(form);
    if (id === undefined) return;
    this.#ids.delete(form);
    this.#forms[id] = undefined;
    this.#free.push(id);
    for (let o = 0; o + ANCHOR <= form.length; o += STEP) {
      const h = anchorHash(form, o);
      const list = this.#postings.get(h);
      if (list) {
        const kept: number[] = [];
        for (let p = 0; p < list.length; p += 2) if (list[p] !== id) kept.push(list[p]!, list[p + 1]!);
        if (kept.length > 0) this.#postings.set(h, kept);
        else this.#postings.delete(h);
      }
      this.#liveAnchors--;
      this.#staleAnchors++;
    }
    if (this.#staleAnchors > this.#liveAnchors) this.#rebuildFilter();
  }

  #setBit(h: number): void {
    const slot = slotOf(h);
    this.#filter[slot >>> 5]! |= 1 << (slot & 31);
  }

  #rebuildFilter(): void {
    this.#filter.fill(0);
    for (const h of this.#postings.keys()) this.#setBit(h);
    this.#staleAnchors = 0;
  }

  /** Sorted, merged `[start, end)` ranges of `text` to hide. */
  find(text: string): Array<[number, number]> {
    const found: Array<[number, number]> = [];
    if (this.#ids.size === 0) return found;
    const n = text.length;
    let lastForm = -1;
    let lastEnd = -1;
    let h = n >= ANCHOR ? anchorHash(text, 0) : 0;
    for (let i = 0; i + ANCHOR <= n; i++) {
      if (i > 0) h = (Math.imul(h - Math.imul(text.charCodeAt(i - 1), BASE_TOP), BASE) + text.charCodeAt(i + ANCHOR - 1)) | 0;
      const slot = slotOf(h);
      if ((this.#filter[slot >>> 5]! & (1 << (slot & 31))) === 0) continue;
      const list = this.#postings.get(h);
      if (!list) continue;
      for (let p = 0; p < list.length; p += 2) {
        const id = list[p]!;
        // Already inside a stretch this form matched: extending again would find the same stretch.
        if (id === lastForm && i + ANCHOR <= lastEnd) continue;
        const form = this.#forms[id]!;
        const o = list[p + 1]!;
        let j = 0;
        while (j < ANCHOR && text.charCodeAt(i + j) === form.charCodeAt(o + j)) j++;
        if (j < ANCHOR) continue;
        let l = 0;
        while (i - l > 0 && o - l > 0 && text.charCodeAt(i - l - 1) === form.charCodeAt(o - l - 1)) l++;
        let r = ANCHOR;
        while (i + r < n && o + r < form.length && text.charCodeAt(i + r) === form.charCodeAt(o + r)) r++;
        if (l + r >= Math.min(MIN_FRAGMENT, form.length)) {
          found.push([i - l, i + r]);
          lastForm = id;
          lastEnd = i + r;
        }
      }
    }
    return merge(found);
  }
}

function merge(ranges: Array<[number, number]>): Array<[number, number]> {
  if (ranges.length < 2) return ranges;
  ranges.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [ranges[0]!];
  for (let k = 1; k < ranges.length; k++) {
    const cur = ranges[k]!;
    const last = out[out.length - 1]!;
    if (cur[0] <= last[1]) last[1] = Math.max(last[1], cur[1]);
    else out.push(cur);
  }
  return out;
}
