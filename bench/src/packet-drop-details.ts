/**
 * The user side of packet_drop_details that the pipeline phase times: the decoder, the record, the
 * text line and the resolver, the tool's own code and not a copy, or the bench would time a copy.
 *
 * TODO(public api): @netstrata/packet-drop's index exports none of these yet. Once it exports
 * decodeDropEvent, DROP_EVENT_SIZE, eventRecord, renderEventText and makeResolver, import them
 * from '@netstrata/packet-drop' here and drop the paths into its src/.
 */
export { eventRecord } from '@netstrata/packet-drop/src/details/command.ts';
export { renderEventText } from '@netstrata/packet-drop/src/details/render.ts';
export { DROP_EVENT_SIZE, decodeDropEvent } from '@netstrata/packet-drop/src/layout.ts';
export { makeResolver } from '@netstrata/packet-drop/src/shared.ts';
