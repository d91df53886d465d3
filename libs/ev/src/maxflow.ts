/**
 * Maximum flow by Dinic's algorithm (blocking flows on BFS level graphs), on typed arrays so that a
 * few million arcs fit in tens of MB. Capacities may be changed between calls and the flow resumed:
 * augmenting paths never lower the flow on an arc out of the source or into the sink, which is what
 * lets `disaggregate` order its goals in stages (EV targets first, then tracking, then extras).
 *
 * Edge `e` has arc `2e` (forward, residual = capacity - flow) and arc `2e + 1` (backward, residual =
 * flow). A residual at or below `eps` counts as saturated.
 */
export class FlowNetwork {
  readonly nodeCount: number;
  private edgeCount = 0;
  private readonly tail: Int32Array;
  private readonly head: Int32Array;
  /** Residual capacity per arc. */
  private readonly res: Float64Array;
  private adjStart = new Int32Array(0);
  private adjArc = new Int32Array(0);
  private arcHead = new Int32Array(0);

  constructor(nodeCount: number, maxEdges: number) {
    this.nodeCount = nodeCount;
    this.tail = new Int32Array(maxEdges);
    this.head = new Int32Array(maxEdges);
    this.res = new Float64Array(2 * maxEdges);
  }

  /** Adds `u -> v` with capacity `cap`, already carrying `flow`; returns the edge id. */
  addEdge(u: number, v: number, cap: number, flow = 0): number {
    const e = this.edgeCount++;
    this.tail[e] = u;
    this.head[e] = v;
    this.res[2 * e] = cap - flow;
    this.res[2 * e + 1] = flow;
    return e;
  }

  /** Builds the adjacency lists; each node's arcs keep the order in which their edges were added. */
  build(): void {
    const n = this.nodeCount, arcs = 2 * this.edgeCount;
    const start = new Int32Array(n + 1);
    for (let e = 0; e < this.edgeCount; e++) {
      start[this.tail[e] + 1]++;
      start[this.head[e] + 1]++;
    }
    for (let v = 0; v < n; v++) start[v + 1] += start[v];
    const fill = start.slice(0, n);
    const adj = new Int32Array(arcs), arcHead = new Int32Array(arcs);
    for (let e = 0; e < this.edgeCount; e++) {
      adj[fill[this.tail[e]]++] = 2 * e;
      adj[fill[this.head[e]]++] = 2 * e + 1;
      arcHead[2 * e] = this.head[e];
      arcHead[2 * e + 1] = this.tail[e];
    }
    this.adjStart = start;
    this.adjArc = adj;
    this.arcHead = arcHead;
  }

  flow(e: number): number {
    return this.res[2 * e + 1];
  }

  /** Sets a new capacity, which must not be below the current flow. */
  setCapacity(e: number, cap: number): void {
    this.res[2 * e] = Math.max(0, cap - this.res[2 * e + 1]);
  }

  /** Freezes an edge at its current flow. */
  close(e: number): void {
    this.res[2 * e] = 0;
  }

  /** Pushes as much more flow from `source` to `sink` as the residual network allows; returns it. */
  maxFlow(source: number, sink: number, eps: number): number {
    const n = this.nodeCount;
    const level = new Int32Array(n), iter = new Int32Array(n), queue = new Int32Array(n), path = new Int32Array(n);
    let total = 0;
    while (this.levels(source, sink, eps, level, queue)) {
      iter.set(this.adjStart.subarray(0, n));
      total += this.blockingFlow(source, sink, eps, level, iter, path);
    }
    return total;
  }

  private levels(source: number, sink: number, eps: number, level: Int32Array, queue: Int32Array): boolean {
    const { adjStart, adjArc, arcHead, res } = this;
    level.fill(-1);
    level[source] = 0;
    let qHead = 0, qTail = 0;
    queue[qTail++] = source;
    while (qHead < qTail) {
      const v = queue[qHead++];
      if (level[sink] >= 0 && level[v] >= level[sink]) break;
      for (let k = adjStart[v]; k < adjStart[v + 1]; k++) {
        const a = adjArc[k], w = arcHead[a];
        if (level[w] < 0 && res[a] > eps) {
          level[w] = level[v] + 1;
          queue[qTail++] = w;
        }
      }
    }
    return level[sink] >= 0;
  }

  private blockingFlow(source: number, sink: number, eps: number, level: Int32Array, iter: Int32Array, path: Int32Array): number {
    const { adjStart, adjArc, arcHead, res } = this;
    let total = 0, depth = 0, v = source;
    for (;;) {
      if (v === sink) {
        let f = Infinity;
        for (let k = 0; k < depth; k++) f = Math.min(f, res[path[k]]);
        for (let k = 0; k < depth; k++) {
          res[path[k]] -= f;
          res[path[k] ^ 1] += f;
        }
        total += f;
        // Resume from the tail of the first saturated arc.
        let k = 0;
        while (k < depth && res[path[k]] > eps) k++;
        depth = k;
        v = depth === 0 ? source : arcHead[path[depth - 1]];
        continue;
      }
      let advanced = false;
      for (; iter[v] < adjStart[v + 1]; iter[v]++) {
        const a = adjArc[iter[v]], w = arcHead[a];
        if (res[a] > eps && level[w] === level[v] + 1) {
          path[depth++] = a;
          v = w;
          advanced = true;
          break;
        }
      }
      if (advanced) continue;
      if (v === source) return total;
      level[v] = -1; // dead end for this phase
      depth--;
      v = depth === 0 ? source : arcHead[path[depth - 1]];
      iter[v]++;
    }
  }
}
