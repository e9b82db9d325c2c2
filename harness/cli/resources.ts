/** What must be closed if a command is interrupted (Toxiproxy servers, backends): main.ts closes them. */
export const openResources = new Set<{ close(): Promise<void> }>();
