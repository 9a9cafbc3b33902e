/**
 * The command-line face of broker/config.ts: one commander option per setting, named and described
 * by the table, each listing its environment variable and default in `spool serve --help`.
 * Options carry no commander default, so an unset flag leaves the environment and the config file
 * their say.
 */
import { Option } from 'commander';
import { settingKeys, settingNames, settingSchema } from './config.js';

export function configOptions(): Option[] {
  return settingKeys.flatMap((key) => {
    const schema = settingSchema(key);
    const { flag, env, short } = settingNames(key);
    const argument = schema.type === 'boolean' ? '[true|false]' : `<${placeholder(key)}>`;
    const option = new Option(`${short ? `${short}, ` : ''}${flag} ${argument}`, `${schema.description} (env ${env}, default ${JSON.stringify(schema.default)})`);
    // A boolean also reads as --no-<flag> (false), the way such switches are usually written.
    return schema.type === 'boolean' ? [option, new Option(`--no-${flag.slice(2)}`, `the same as ${flag} false`)] : [option];
  });
}

/** `<ms>`, `<bytes>`, `<n>` from the unit that ends the name; `<value>` otherwise. */
function placeholder(key: string): string {
  if (key.endsWith('Ms')) return 'ms';
  if (key.endsWith('Bytes') || key.endsWith('BytesMax')) return 'bytes';
  if (key.endsWith('Max')) return 'n';
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`).split('-').pop()!;
}
