/** Users who log in on sites: create, read, change, delete, passwords. */
import * as z from 'zod/mini';
import { json } from '../commons/http';
import { allUsers, defaultUserId, getUser } from '../domain/users/users';
import * as schemas from '../protocol/admin';
import { change, changeUser, found, parseBody, userView } from './helpers';
import { route, type AdminRoute } from './types';

const tag = 'users';

export const userRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/users',
    summary: 'List users (who log in on sites through POST /api/v4/login)',
    operationId: 'listUsers',
    tag,
    response: z.object({ users: z.array(schemas.userView) }),
    run: async ({ store }) => json(200, { users: allUsers(await store.current()).map(userView) }),
  }),
  route({
    method: 'POST',
    path: '/users',
    summary: 'Create a user with a password, the stores they may log in to and their permission numbers there (privileged)',
    operationId: 'createUser',
    tag,
    body: schemas.createUserBody,
    response: schemas.userView,
    status: 201,
    privileged: true,
    run: async (deps, request) => {
      const { password, ...user } = parseBody(schemas.createUserBody, request.body);
      const id = user.id ?? defaultUserId(user.name);
      const config = await changeUser(deps, request, { type: 'createUser', user: { ...user, id, credential: deps.hashPassword(password) } }, id);
      return json(201, userView(getUser(config, id)!));
    },
  }),
  route({
    method: 'GET',
    path: '/users/{userId}',
    summary: 'Get a user',
    operationId: 'getUser',
    tag,
    response: schemas.userView,
    run: async ({ store }, request) => {
      const userId = request.params.userId!;
      return json(200, userView(found(getUser(await store.current(), userId), `User ${userId}`, 'user_not_found')));
    },
  }),
  route({
    method: 'PATCH',
    path: '/users/{userId}',
    summary: 'Change a user\'s name, details, active flag, stores and permissions, or default store (privileged)',
    operationId: 'updateUser',
    tag,
    body: schemas.updateUserBody,
    response: schemas.userView,
    privileged: true,
    run: async (deps, request) => {
      const userId = request.params.userId!;
      const config = await changeUser(deps, request, { type: 'updateUser', userId, changes: parseBody(schemas.updateUserBody, request.body) }, userId);
      return json(200, userView(getUser(config, userId)!));
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/{userId}',
    summary: 'Delete a user: their logins are refused, and sites get their record as inactive (privileged)',
    operationId: 'deleteUser',
    tag,
    status: 204,
    privileged: true,
    run: async (deps, request) => {
      const userId = request.params.userId!;
      await changeUser(deps, request, { type: 'deleteUser', userId }, userId);
      return { statusCode: 204 };
    },
  }),
  route({
    method: 'PUT',
    path: '/users/{userId}/password',
    summary: 'Set a user\'s password (privileged); sites learn it at the user\'s next login there',
    operationId: 'setUserPassword',
    tag,
    body: schemas.setPasswordBody,
    response: schemas.userView,
    privileged: true,
    run: async (deps, request) => {
      const userId = request.params.userId!;
      const { password } = parseBody(schemas.setPasswordBody, request.body);
      const config = await change(deps, request, { type: 'setUserCredential', userId, credential: deps.hashPassword(password) });
      return json(200, userView(getUser(config, userId)!));
    },
  }),
];
