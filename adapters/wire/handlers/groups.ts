/** Placeholder until the group API handlers are merged: the group engineer's file replaces this one. */
import type { Handler } from '../handler.js';

export const GROUP_HANDLERS: readonly Handler[] = [];
