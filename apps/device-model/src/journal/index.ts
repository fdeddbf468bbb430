export * from './frame';
export * from './journal';
export { nodeJournalFs, type JournalFile, type JournalFs } from './journal-fs';
