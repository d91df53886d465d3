/**
 * Maximum flow by Dinic's algorithm (blocking flows on BFS level graphs), on typed arrays so that a
 * few million arcs fit in tens of MB. Arcs are stored node by node (CSR), so scanning a node's arcs
 * reads memory in order. Capacities may be changed between calls and the flow resumed: augmenting
 * paths never lower the flow on an arc out of the source or into the sink, which is what lets
 * `disaggregate` order its goals in stages (EV targets first, then tracking, then extras).
 *
 * "Free" edges (a V2G EV's storage from one period to the next) count zero in the level distance, so a
 * path that runs along a long chain of them is as short as one that does not: Dinic then needs a
 * handful of phases instead of one per chain step. The level graph can then hold cycles of free arcs;
 * the blocking-flow search never revisits a node of its current path, and a phase that finds nothing
 * falls back to plain levels (every arc counts one), so the result is still a maximum flow: the loop
 * ends only when no augmenting path is left.
 *
 * Each edge has a forward arc (residual = capacity - flow) and a backward arc (residual = flow). A
 * residual at or below `eps` counts as saturated.
 */
export class FlowNetwork {
  readonly nodeCount: number;
  private edgeCount = 0;
  private tail: Int32Array;
  private head: Int32Array;
  private capacity: Float64Array;
  private initialFlow: Float64Array;
  private freeEdge: Uint8Array;
  /** Per node, its arcs are positions adjStart[v] .. adjStart[v+1]-1 of the arrays below. */
  private adjStart = new Int32Array(0);
  private arcTo = new Int32Array(0);
  private arcPartner = new Int32Array(0);
  private res = new Float64Array(0);
  /** 1 for the arcs of free edges. */
  private arcFree = new Uint8Array(0);
  /** Position of each edge's forward arc. */
  private forwardArc = new Int32Array(0);

  constructor(nodeCount: number, maxEdges: number) {
    this.nodeCount = nodeCount;
    this.tail = new Int32Array(maxEdges);
    this.head = new Int32Array(maxEdges);
    this.capacity = new Float64Array(maxEdges);
    this.initialFlow = new Float64Array(maxEdges);
    this.freeEdge = new Uint8Array(maxEdges);
  }

  /** Adds `u -> v` with capacity `cap`, already carrying `flow`; returns the edge id. */
  addEdge(u: number, v: number, cap: number, flow = 0, free = false): number {
    const e = this.edgeCount++;
    this.freeEdge[e] = free ? 1 : 0;
    this.tail[e] = u;
    this.head[e] = v;
    this.capacity[e] = cap;
    this.initialFlow[e] = flow;
    return e;
  }

  /** Lays the arcs out node by node; each node's arcs keep the order in which their edges were added. */
  build(): void {
    const n = this.nodeCount, m = this.edgeCount;
    const start = new Int32Array(n + 1);
    for (let e = 0; e < m; e++) {
      start[this.tail[e] + 1]++;
      start[this.head[e] + 1]++;
    }
    for (let v = 0; v < n; v++) start[v + 1] += start[v];
    const fill = start.slice(0, n);
    const arcTo = new Int32Array(2 * m), arcPartner = new Int32Array(2 * m), res = new Float64Array(2 * m);
    const forwardArc = new Int32Array(m), arcFree = new Uint8Array(2 * m);
    for (let e = 0; e < m; e++) {
      const f = fill[this.tail[e]]++, b = fill[this.head[e]]++;
      arcTo[f] = this.head[e];
      arcTo[b] = this.tail[e];
      arcPartner[f] = b;
      arcPartner[b] = f;
      res[f] = this.capacity[e] - this.initialFlow[e];
      res[b] = this.initialFlow[e];
      forwardArc[e] = f;
      arcFree[f] = arcFree[b] = this.freeEdge[e];
    }
    Object.assign(this, { adjStart: start, arcTo, arcPartner, res, forwardArc, arcFree });
    // The edge list is no longer needed: give its memory back.
    this.tail = this.head = new Int32Array(0);
    this.capacity = this.initialFlow = new Float64Array(0);
    this.freeEdge = new Uint8Array(0);
  }

  flow(e: number): number {
    return this.res[this.arcPartner[this.forwardArc[e]]];
  }

  /** Sets a new capacity, which must not be below the current flow. */
  setCapacity(e: number, cap: number): void {
    this.res[this.forwardArc[e]] = Math.max(0, cap - this.flow(e));
  }

  /** Freezes an edge at its current flow. */
  close(e: number): void {
    this.res[this.forwardArc[e]] = 0;
  }

  /** Pushes as much more flow from `source` to `sink` as the residual network allows; returns it. */
  maxFlow(source: number, sink: number, eps: number): number {
    const n = this.nodeCount;
    const level = new Int32Array(n), iter = new Int32Array(n), path = new Int32Array(n), onPath = new Uint8Array(n);
    const queue = new Int32Array(n), nextQueue = new Int32Array(n);
    let total = 0;
    for (;;) {
      if (!this.levels(source, sink, eps, level, queue, nextQueue, true)) return total;
      iter.set(this.adjStart.subarray(0, n));
      let pushed = this.blockingFlow(source, sink, eps, level, iter, path, onPath, true);
      if (pushed === 0) {
        this.levels(source, sink, eps, level, queue, nextQueue, false);
        iter.set(this.adjStart.subarray(0, n));
        pushed = this.blockingFlow(source, sink, eps, level, iter, path, onPath, false);
        if (pushed === 0) throw new Error('max flow: a path exists but no phase can use it'); // a bug, never input
      }
      total += pushed;
    }
  }

  /**
   * Level of every node: its distance from the source over unsaturated arcs, free arcs counting 0
   * when `useFree`. Level by level: free arcs extend the current level, others feed the next.
   */
  private levels(source: number, sink: number, eps: number, level: Int32Array, queue: Int32Array, nextQueue: Int32Array, useFree: boolean): boolean {
    const { adjStart, arcTo, res, arcFree } = this;
    level.fill(-1);
    level[source] = 0;
    let current = queue, next = nextQueue, size = 1, d = 0;
    current[0] = source;
    while (size > 0 && (level[sink] < 0 || d < level[sink])) {
      let nextSize = 0;
      for (let q = 0; q < size; q++) {
        const v = current[q];
        if (level[v] !== d) continue; // reached again at a lower level through a free arc
        for (let k = adjStart[v], end = adjStart[v + 1]; k < end; k++) {
          if (res[k] <= eps) continue;
          const w = arcTo[k];
          if (useFree && arcFree[k]) {
            if (level[w] < 0 || level[w] > d) {
              level[w] = d;
              current[size++] = w;
            }
          } else if (level[w] < 0) {
            level[w] = d + 1;
            next[nextSize++] = w;
          }
        }
      }
      [current, next] = [next, current];
      size = nextSize;
      d++;
    }
    return level[sink] >= 0;
  }

  private blockingFlow(
    source: number, sink: number, eps: number, level: Int32Array, iter: Int32Array, path: Int32Array, onPath: Uint8Array, useFree: boolean,
  ): number {
    const { adjStart, arcTo, arcPartner, res, arcFree } = this;
    let total = 0, depth = 0, v = source;
    onPath[source] = 1;
    for (;;) {
      if (v === sink) {
        let f = Infinity;
        for (let k = 0; k < depth; k++) f = Math.min(f, res[path[k]]);
        for (let k = 0; k < depth; k++) {
          res[path[k]] -= f;
          res[arcPartner[path[k]]] += f;
        }
        total += f;
        // Resume from the tail of the first saturated arc.
        let k = 0;
        while (k < depth && res[path[k]] > eps) k++;
        for (let j = k; j < depth; j++) onPath[arcTo[path[j]]] = 0;
        depth = k;
        v = depth === 0 ? source : arcTo[path[depth - 1]];
        continue;
      }
      const end = adjStart[v + 1], lv = level[v];
      let k = iter[v];
      for (; k < end; k++) {
        if (res[k] <= eps) continue;
        const w = arcTo[k];
        if (level[w] === lv + (useFree && arcFree[k] ? 0 : 1) && onPath[w] === 0) break;
      }
      iter[v] = k;
      if (k < end) {
        path[depth++] = k;
        v = arcTo[k];
        onPath[v] = 1;
        continue;
      }
      if (v === source) {
        onPath[source] = 0;
        return total;
      }
      level[v] = -1; // dead end for this phase
      onPath[v] = 0;
      depth--;
      v = depth === 0 ? source : arcTo[path[depth - 1]];
      iter[v]++;
    }
  }
}
