/**
 * Every HTTP route of the gateway in one place: the function files register these (the name is
 * the function's), and the API description for Power Automate is generated from them.
 */
import type { Permission } from '../contract/caller';

export interface RouteSpec {
  route: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /**
   * Absent: no Entra token (health, open to all; Partner Center's events, proven by their
   * signature instead).
   */
  permission?: Permission;
}

const SPECS = {
  createReferral: { route: 'referrals', method: 'POST', permission: 'Referrals.Create' },
  listReferrals: { route: 'referrals', method: 'GET', permission: 'Referrals.Read' },
  getReferral: { route: 'referrals/{id}', method: 'GET', permission: 'Referrals.Read' },
  updateReferral: { route: 'referrals/{id}', method: 'PATCH', permission: 'Referrals.Update' },
  closeReferral: { route: 'referrals/{id}/close', method: 'POST', permission: 'Referrals.Update' },
  acceptReferral: {
    route: 'referrals/{id}/accept',
    method: 'POST',
    permission: 'Referrals.Update',
  },
  declineReferral: {
    route: 'referrals/{id}/decline',
    method: 'POST',
    permission: 'Referrals.Update',
  },
  registerDeal: {
    route: 'referrals/{id}/registrations',
    method: 'POST',
    permission: 'Referrals.Update',
  },
  followCreateRequest: {
    route: 'referrals/requests/{requestId}',
    method: 'GET',
    permission: 'Referrals.Create',
  },
  getReferralOperation: {
    route: 'referrals/operations/{operationId}',
    method: 'GET',
    permission: 'Referrals.Read',
  },
  getEngagement: {
    route: 'engagements/{engagementId}',
    method: 'GET',
    permission: 'Referrals.Read',
  },
  createSubscription: {
    route: 'subscriptions',
    method: 'POST',
    permission: 'Referrals.Subscribe',
  },
  listSubscriptions: {
    route: 'subscriptions',
    method: 'GET',
    permission: 'Referrals.Subscribe',
  },
  getSubscription: {
    route: 'subscriptions/{subscriptionId}',
    method: 'GET',
    permission: 'Referrals.Subscribe',
  },
  deleteSubscription: {
    route: 'subscriptions/{subscriptionId}',
    method: 'DELETE',
    permission: 'Referrals.Subscribe',
  },
  receivePartnerCenterEvent: { route: 'partner-center/events', method: 'POST' },
  listOperations: { route: 'operations', method: 'GET', permission: 'Referrals.Admin' },
  redriveOperation: {
    route: 'operations/{operationId}/redrive',
    method: 'POST',
    permission: 'Referrals.Admin',
  },
  listParked: { route: 'events/parked', method: 'GET', permission: 'Referrals.Admin' },
  redriveEvent: {
    route: 'events/{eventId}/redrive',
    method: 'POST',
    permission: 'Referrals.Admin',
  },
  redriveNotification: {
    route: 'subscriptions/{subscriptionId}/deliveries/{eventId}/redrive',
    method: 'POST',
    permission: 'Referrals.Admin',
  },
  health: { route: 'health', method: 'GET' },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof SPECS;
/** A route with its function's name; `N` keeps the literal spec where it is known. */
export type NamedRoute<N extends RouteName = RouteName> = RouteSpec &
  (typeof SPECS)[N] & { name: N };

export const ROUTES = Object.fromEntries(
  Object.entries(SPECS).map(([name, spec]) => [name, { ...spec, name }]),
) as { [N in RouteName]: NamedRoute<N> };
