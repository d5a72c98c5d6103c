// Every `hb` command, in the order `hb --help` lists them.
import type { Command } from './command';
import { configCommand } from './config';

export const COMMANDS: Command[] = [configCommand];
