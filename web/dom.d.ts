// Types for the DOM helper (web/dom.mjs): fills a page's `data-attune-placement` elements from
// a browser runtime with the edge worker's markup rules. Never throws.

import type { AttuneRuntime, Decision, ErrorResult, Json } from './attune';

export interface RenderPlacementsOptions {
  /** Where to look for `[data-attune-placement]` elements. Default: `document`. */
  root?: Document | Element;
  /**
   * When impressions are reported: 'visible' (default) when half of the placement is on
   * screen; 'render' as the content is written (`rt.show`: exact caps across tabs); 'none'
   * leaves reporting to the page.
   */
  impressions?: 'visible' | 'render' | 'none';
  /** Context overrides for the decisions, as `rt.decidePage(overrides)` takes them. */
  overrides?: { [key: string]: Json };
}

export interface PlacementView {
  /** The decision rendered into each placement id (or `{error}`). */
  readonly decisions: Map<string, Decision | ErrorResult>;
  /** Fields and attributes left as the page had them, and why (at most 100). */
  readonly problems: string[];
  /** Decides again and re-renders from each placement's original markup. */
  refresh(): Promise<{ ok: true } | ErrorResult>;
  /** Stops watching for visibility. */
  disconnect(): void;
}

export function renderPlacements(rt: AttuneRuntime, options?: RenderPlacementsOptions): Promise<PlacementView | ErrorResult>;
