// Graph's own types that the kit's signatures name, re-exported with the kit's words, so that a caller needs no
// import from @graph-invite/types to write them down.
import type { Participant as GraphParticipant, ResultInfo as GraphResultInfo } from "@graph-invite/types";

/** A participant of a call as Graph describes it: the entries of a roster. Graph's `participant`. */
export type Participant = GraphParticipant;

/** How an operation or a call ended: Graph's `resultInfo`, with its `code`, `subcode` and `message`. */
export type ResultInfo = GraphResultInfo;
