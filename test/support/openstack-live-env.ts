/**
 * The live cloud's connection facts for the OpenStack integration tests, in the adapter's terms, or
 * undefined when no cloud was brought up (no /var/tmp/escalator-openstack/env.json).
 */
import { existsSync, readFileSync } from 'node:fs';

export const OPENSTACK_ENV_FILE = '/var/tmp/escalator-openstack/env.json';

export interface LiveOpenStack {
  readonly authUrl: string;
  readonly region?: string | undefined;
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  readonly userDomainName: string;
  readonly projectDomainName: string;
  readonly computeHosts: readonly string[];
  readonly imageId: string;
  readonly flavorId: string;
  readonly applicationCredentialId: string;
  readonly applicationCredentialSecret: string;
}

type Raw = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Reads env.json (tolerating a few spellings of its fields). */
export function liveOpenStack(file = OPENSTACK_ENV_FILE): LiveOpenStack | undefined {
  if (!existsSync(file)) return undefined;
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Raw;
  const domains = (raw['domains'] ?? {}) as Raw;
  const app = (raw['applicationCredential'] ?? raw['application_credential'] ?? {}) as Raw;
  const need = (name: string, v: string | undefined): string => {
    if (v === undefined) throw new Error(`${file} has no ${name}`);
    return v;
  };
  return {
    authUrl: need('authUrl', str(raw['authUrl'])),
    region: str(raw['region']),
    username: need('username', str(raw['username'])),
    password: need('password', str(raw['password'])),
    projectName: need('projectName', str(raw['projectName'])),
    userDomainName:
      str(raw['userDomainName']) ?? str(domains['user']) ?? str(domains['userDomainName']) ?? 'Default',
    projectDomainName:
      str(raw['projectDomainName']) ??
      str(domains['project']) ??
      str(domains['projectDomainName']) ??
      'Default',
    computeHosts: (raw['computeHosts'] as string[] | undefined) ?? [],
    imageId: need('imageId', str(raw['imageId'])),
    flavorId: need('flavorId', str(raw['flavorId'])),
    applicationCredentialId: need(
      'application credential id',
      str(app['id']) ?? str(raw['applicationCredentialId']) ?? str(raw['appCredId']),
    ),
    applicationCredentialSecret: need(
      'application credential secret',
      str(app['secret']) ?? str(raw['applicationCredentialSecret']) ?? str(raw['appCredSecret']),
    ),
  };
}
