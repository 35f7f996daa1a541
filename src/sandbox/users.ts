import type { UserKind } from './types';

// Obviously fake people: the sandbox must never look like it holds real personal data.
const PERSON = {
  id: '100000001',
  first_name: 'Ivan',
  last_name: 'Petrov',
  middle_name: 'Sergeevich',
  email: 'ivan.petrov@example.com',
  phone: '+70000000000',
};

const EMPLOYER = { id: '9000001', name: 'Example Sandbox LLC' };

export interface ManagerAccount {
  id: string;
  name: string;
  is_primary: boolean;
}

export const MANAGER_ACCOUNTS: readonly ManagerAccount[] = [
  { id: '5000001', name: 'Ivan Petrov (primary)', is_primary: true },
  { id: '5000002', name: 'Ivan Petrov (recruiting)', is_primary: false },
];

const PRIMARY_ACCOUNT_ID = '5000001';

export type Principal = { kind: 'user'; user: UserKind } | { kind: 'application' };

const FLAGS_OFF = {
  is_admin: false,
  is_applicant: false,
  is_application: false,
  is_employer: false,
  is_employer_integration: false,
};

export function meBody(who: Principal, managerAccountId: string | undefined): Record<string, unknown> {
  if (who.kind === 'application') {
    return { auth_type: 'application', ...FLAGS_OFF, is_application: true };
  }
  if (who.user === 'applicant') {
    return { auth_type: 'applicant', ...FLAGS_OFF, is_applicant: true, ...PERSON };
  }
  return {
    auth_type: 'employer',
    ...FLAGS_OFF,
    is_employer: true,
    ...PERSON,
    employer: { ...EMPLOYER },
    manager: { id: managerAccountId ?? PRIMARY_ACCOUNT_ID },
  };
}

export function managerAccountsBody(): Record<string, unknown> {
  return { primary_account_id: PRIMARY_ACCOUNT_ID, items: MANAGER_ACCOUNTS.map((a) => ({ ...a })) };
}

export function isManagerAccount(id: string): boolean {
  return MANAGER_ACCOUNTS.some((a) => a.id === id);
}
