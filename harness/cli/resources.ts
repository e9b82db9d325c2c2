/** What must be closed if a command is interrupted (Toxiproxy servers, backends): main.ts closes them. */
export const openResources = new Set<{ close(): Promise<void> }>();

/**
 * What a command does with what it has finished when it is interrupted (run: the reports of the
 * scenarios done, marked incomplete). main.ts calls these before closing `openResources`.
 */
export const onInterrupt = new Set<(signal: string) => Promise<void>>();
