export { Engine, type ObjectOutcome } from './engine';
