import type { AccountRef } from './hh-errors';
import type { Persona } from './types';

// Obviously fake people and companies: the sandbox must never look like it holds real data.
const PERSON = {
  id: '100000001',
  first_name: 'Ivan',
  last_name: 'Petrov',
  middle_name: 'Sergeevich',
  email: 'ivan.petrov@example.com',
  phone: '70000000000',
};

/** hh.ru's employer-side contact for a company (MeEmployerProfilePersonalManager). */
const PERSONAL_MANAGER = {
  id: '8000001',
  first_name: 'Olga',
  last_name: 'Smirnova',
  email: 'personal.manager@example.com',
  is_available: true,
  photo_urls: null,
  unavailable: null,
};

/** A manager account: the manager's place at one employer (manager ids are not account ids). */
export interface ManagerAccount extends AccountRef {
  managerId: string;
  isMainContactPerson: boolean;
}

/** The employer persona's two working accounts, as /manager_accounts/mine lists them; the first is primary. */
export const EMPLOYER_ACCOUNTS: readonly ManagerAccount[] = [
  { id: '5000001', employer: { id: '9000001', name: 'Example Sandbox LLC' }, managerId: '7000001', isMainContactPerson: true },
  { id: '5000002', employer: { id: '9000002', name: 'Example Sandbox Recruiting LLC' }, managerId: '7000002', isMainContactPerson: false },
];

/**
 * A third account of the same manager that its employer blocked: not listed, but known, so
 * that X-Manager-Account-Id naming it gets used_manager_account_forbidden with allowed_accounts.
 */
export const BLOCKED_ACCOUNT: ManagerAccount = {
  id: '5000009',
  employer: { id: '9000009', name: 'Example Sandbox Closed LLC' },
  managerId: '7000009',
  isMainContactPerson: false,
};

const PRIMARY = EMPLOYER_ACCOUNTS[0]!;

export type Principal = { kind: 'user'; persona: Persona } | { kind: 'application' };

const FLAGS_OFF = {
  is_admin: false,
  is_applicant: false,
  is_application: false,
  is_employer: false,
  is_employer_integration: false,
};

export const accountRef = (a: AccountRef): AccountRef => ({ id: a.id, employer: { ...a.employer } });

/** GET /me, by auth_type (the specification's MeProfile mapping); `account` is the one X-Manager-Account-Id chose. */
export function meBody(who: Principal, account: ManagerAccount | undefined, apiUrl: string): Record<string, unknown> {
  if (who.kind === 'application') return { auth_type: 'application', ...FLAGS_OFF, is_application: true };
  switch (who.persona) {
    case 'applicant':
      return {
        auth_type: 'applicant',
        ...FLAGS_OFF,
        is_applicant: true,
        ...PERSON,
        counters: { unread_negotiations: 0, new_resume_views: 0, resumes_count: 0 },
        resumes_url: `${apiUrl}/resumes/mine`,
        negotiations_url: `${apiUrl}/negotiations`,
        is_in_search: false,
      };
    case 'employer_integration':
      // An integration is not a person: flags, the employer it acts for and its personal manager only.
      return {
        auth_type: 'employer_integration',
        ...FLAGS_OFF,
        is_employer_integration: true,
        employer: { ...PRIMARY.employer },
        personal_manager: { ...PERSONAL_MANAGER },
      };
    case 'employer': {
      const current = account ?? PRIMARY;
      return {
        auth_type: 'employer',
        ...FLAGS_OFF,
        is_employer: true,
        ...PERSON,
        employer: { ...current.employer, manager_id: current.managerId },
        manager: {
          id: current.managerId,
          has_admin_rights: true,
          has_multiple_manager_accounts: EMPLOYER_ACCOUNTS.length > 1,
          is_main_contact_person: current.isMainContactPerson,
          manager_settings_url: `${apiUrl}/employers/${current.employer.id}/managers/${current.managerId}/settings`,
        },
        personal_manager: { ...PERSONAL_MANAGER },
      };
    }
  }
}

/** GET /manager_accounts/mine for the employer persona; `current` is the account X-Manager-Account-Id chose. */
export function managerAccountsBody(current: ManagerAccount | undefined): Record<string, unknown> {
  return {
    items: EMPLOYER_ACCOUNTS.map(accountRef),
    current_account_id: (current ?? PRIMARY).id,
    primary_account_id: PRIMARY.id,
    is_primary_account_blocked: false,
  };
}

export const findAccount = (id: string): ManagerAccount | undefined => EMPLOYER_ACCOUNTS.find((a) => a.id === id);
