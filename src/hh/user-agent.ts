/**
 * What hh-oauth tells an operator about HH_USER_AGENT, in one place. hh.ru refuses
 * placeholders (its maintainers called the docs' own `MyApp/1.0 (my-app-feedback@example.com)`
 * a bad User-Agent), so no hint shows a value that could be pasted as it is: only the form.
 */
export const USER_AGENT_FORM = '"<product>/<version> (<mailbox>)"';

export const USER_AGENT_ADVICE = `your product's real name and version, and a mailbox someone reads, in the form ${USER_AGENT_FORM}`;
